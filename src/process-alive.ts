/**
 * Whether process `pid` exists on this host: `kill(pid, 0)` sends nothing; EPERM means it
 * exists but belongs to another user. Used to tell a crashed owner from a live one (heal-plan
 * runners, aiderw buffer claims).
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
