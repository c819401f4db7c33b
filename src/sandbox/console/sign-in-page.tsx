// The sign-in page: pick any seeded user, or one of an organization's administrators. It is a
// sandbox, so there is no password, and the page says so before anything else.
import type { FC } from 'hono/jsx';
import { CsrfField, ErrorBox, Layout } from './layout.js';
import type { OrgIdentities } from './queries.js';
import type { ConsolePrincipal } from './session.js';

export const SignInPage: FC<{ orgs: OrgIdentities[]; principal: ConsolePrincipal | undefined; csrfToken: string; error?: string | undefined }> = (props) => (
  <Layout title="Sign in" section="sign-in" principal={props.principal} csrfToken={props.csrfToken}>
    <p class="note">
      <strong>This is a sandbox: there are no passwords.</strong> Anyone who can reach this port may act as any user or administrator below. It listens on the
      sandbox's own address (127.0.0.1 unless told otherwise) and holds no real account.
    </p>
    <ErrorBox message={props.error} />
    <form class="stack" method="post" action="/console/sign-in">
      <CsrfField token={props.csrfToken} />
      <div>
        <label for="who">Sign in as</label>
        <select id="who" name="who" required>
          {props.orgs.map((org) => (
            <>
              <optgroup label={`Administrators of ${org.orgName}`}>
                {org.admins.map((admin) => (
                  <option value={`${org.orgId}:admin:${admin.id}`}>{`Administrator: ${admin.name} (${admin.email})`}</option>
                ))}
              </optgroup>
              <optgroup label={`Users of ${org.orgName}`}>
                {org.users.map((user) => (
                  <option value={`${org.orgId}:user:${user._id}`} disabled={user.state !== 'ACTIVATED'}>
                    {`${user.displayname || user.username} (${user.username})${user.jobTitle === undefined ? '' : `, ${user.jobTitle}`}${user.state === 'ACTIVATED' ? '' : `, ${user.state.toLowerCase()}: cannot sign in`}`}
                  </option>
                ))}
              </optgroup>
            </>
          ))}
        </select>
      </div>
      <div>
        <button type="submit">Sign in</button>
      </div>
    </form>
    <h2>What you can do</h2>
    <ul class="plain">
      <li>As a user: request access through the approval flows open to your groups, and follow your requests.</li>
      <li>As an approver (a manager, a named user, a member of an approving group): approve or deny what waits on you.</li>
      <li>
        As an administrator: the Request Queue, the approval flows and settings (read-only: accessctl manages them from git), Directory Insights, the mail
        outbox and the webhook deliveries.
      </li>
    </ul>
  </Layout>
);
