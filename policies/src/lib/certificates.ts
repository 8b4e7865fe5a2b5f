/** cert-manager objects (https://cert-manager.io/docs/reference/api-docs/), read as custom resources. */
export const CERT_MANAGER_API = 'cert-manager.io/v1';
/** Type tokens of cert-manager's custom resources. */
export const CERT_MANAGER_TYPE = {
  Certificate: `kubernetes:${CERT_MANAGER_API}:Certificate`,
  Issuer: `kubernetes:${CERT_MANAGER_API}:Issuer`,
  ClusterIssuer: `kubernetes:${CERT_MANAGER_API}:ClusterIssuer`,
} as const;
/** The checklist's "2+ year expiration", in hours (2 × 365 × 24). */
export const TWO_YEARS_HOURS = 17_520;
