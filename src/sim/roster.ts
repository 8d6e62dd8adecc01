/**
 * Which nodes the simulation intends to be members, and which need the
 * operator's procedure before they are (docs/membership.md): a node whose
 * data was lost or can no longer be trusted must be removed, wiped and added
 * back; a wiped node that was removed but not yet re-added only needs the add.
 */
export type MemberIntent = "member" | "needs-rebuild" | "joining";

export class Roster {
  readonly #intent = new Map<number, MemberIntent>();

  constructor(ids: readonly number[]) {
    for (const id of ids) this.#intent.set(id, "member");
  }

  intent(id: number): MemberIntent {
    return this.#intent.get(id) ?? "member";
  }

  isMember(id: number): boolean {
    return this.intent(id) === "member";
  }

  needsRebuild(id: number): void {
    this.#intent.set(id, "needs-rebuild");
  }

  joining(id: number): void {
    this.#intent.set(id, "joining");
  }

  rejoined(id: number): void {
    this.#intent.set(id, "member");
  }
}
