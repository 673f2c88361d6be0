// Polling a condition (sync or async): `until` says whether it held within `ms`; `waitFor` fails (throws) if not.
export async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  if (!(await until(cond, ms))) throw new Error(`${what} not met within ${ms} ms`);
}
