// The request bodies JumpCloud publishes (../shared/contracts, v1 and v2) for the operations the
// sandbox serves, as the fields each object may carry; the strict profile refuses any other field.
// test/sandbox/published-api.test.ts derives the same shapes from the contract files.
import type { BodyShape } from './profile.js';

const approverResource: BodyShape = { requireAll: null, resourceId: null, resourceName: null, resourceOrder: null, resourceType: null };
const slackConfig: BodyShape = { slackResourceId: null };

/** jumpcloud.ingresso.ApprovalFlow_Set's inline body: the create fields without category and resourceType. */
const approvalFlowSet: BodyShape = {
  approvalType: null,
  approverRequirement: null,
  approverResources: approverResource,
  description: null,
  fixedDuration: null,
  iconColor: null,
  iconUrl: null,
  multiSelectDuration: null,
  name: null,
  nonAdminApproval: null,
  organizationObjectId: null,
  resourceId: null,
  slackConfig,
  slackEnabled: null,
  status: null,
  timeBasedAccess: null,
  ttlConfig: null,
  visibleTo: null,
};

// attributes (GroupAttributes-UserGroup) extends the open GraphAttributes, so it stays open.
const userGroupWrite: BodyShape = {
  attributes: null,
  description: null,
  email: null,
  memberQuery: { filters: null, queryType: null, searchFilters: null },
  memberQueryExemptions: { attributes: null, id: null, type: null },
  memberSuggestionsNotify: null,
  membershipMethod: null,
  name: null,
};

const graphOperation: BodyShape = { attributes: null, id: null, op: null, type: null };

/** systemuserput (v1): every field a user PUT may carry, nested objects closed where the contract closes them. */
const systemUserSet: BodyShape = {
  account_locked: null,
  addresses: {
    country: null,
    extendedAddress: null,
    locality: null,
    poBox: null,
    postalCode: null,
    region: null,
    streetAddress: null,
    type: null,
  },
  allow_public_key: null,
  alternateEmail: null,
  attributes: { name: null, value: null },
  company: null,
  costCenter: null,
  delegatedAuthority: { id: null, name: null },
  department: null,
  description: null,
  disableDeviceMaxLoginAttempts: null,
  displayname: null,
  email: null,
  employeeIdentifier: null,
  employeeType: null,
  enable_managed_uid: null,
  enable_user_portal_multifactor: null,
  external_dn: null,
  external_password_expiration_date: null,
  external_source_type: null,
  externally_managed: null,
  firstname: null,
  jobTitle: null,
  lastname: null,
  ldap_binding_user: null,
  location: null,
  managedAppleId: null,
  manager: null,
  mfa: { configured: null, exclusion: null, exclusionDays: null, exclusionUntil: null },
  middlename: null,
  password: null,
  password_never_expires: null,
  phoneNumbers: { number: null, type: null },
  public_key: null,
  relationships: { type: null, value: null },
  restrictedFields: { field: null, id: null, type: null },
  samba_service_user: null,
  ssh_keys: { name: null, public_key: null },
  state: null,
  sudo: null,
  suspended: null,
  unix_guid: null,
  unix_uid: null,
  username: null,
};

/** Request body shapes, by operation; routes.ts attaches each to its route. */
export const publishedBodies = {
  approvalFlowCreate: { ...approvalFlowSet, category: null, resourceType: null },
  approvalFlowSet,
  approvalFlowSettingsSet: {
    adminApprovalEmail: null,
    channelEvents: { channelObjectId: null, eventTypes: null },
    exposeApprovalProgress: null,
    organizationObjectId: null,
    resourceRequest: null,
    userApprovalEmail: null,
    userRequestEmail: null,
  },
  accessRequestSet: { admin: null, approvedDuration: null, internalNote: null, organizationObjectId: null, remarks: null, status: null },
  accessRequestApprovalSet: { approvedDuration: null, id: null, organizationObjectId: null, remarks: null, status: null },
  userGroupCreate: userGroupWrite,
  userGroupSet: userGroupWrite,
  graphOperation,
  systemUserSet,
} as const satisfies Record<string, BodyShape>;
