/** IPMI privilege levels (section 6.8). Session roles and command requirements use the same numbers. */
export const Privilege = { Callback: 1, User: 2, Operator: 3, Administrator: 4, Oem: 5 } as const;
export type PrivilegeLevel = (typeof Privilege)[keyof typeof Privilege];

export function isPrivilegeLevel(value: number): value is PrivilegeLevel {
  return value >= Privilege.Callback && value <= Privilege.Oem;
}
