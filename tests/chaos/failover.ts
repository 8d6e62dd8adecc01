/** Placeholder replaced below. */
export function runFailover(
  _o: { nodes: number; kills: number; seed: number; log: (s: string) => void },
): Promise<{ ok: boolean; text: string }> {
  return Promise.resolve({ ok: false, text: "todo" });
}
