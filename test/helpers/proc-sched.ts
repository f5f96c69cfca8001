/**
 * How Linux schedules a process's threads, read from /proc as `chrt -p` and `ps` would: the
 * tests of the event loop's priority and of the search child's read the same fields.
 */
import { readdirSync, readFileSync } from 'node:fs';

export const SCHED_OTHER = 0;
export const SCHED_RR = 2;
export const SCHED_IDLE = 5;

/** The thread ids of a process. */
export const threadsOf = (pid: number): number[] => readdirSync(`/proc/${pid}/task`).map(Number);

/** Nice value (field 19), real-time priority (40) and policy (41) of one thread's stat line. */
export function threadSched(pid: number, tid: number): { nice: number; rtPriority: number; policy: number } {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // field 3 (state) on: the name may hold spaces
  const field = (n: number) => Number(fields[n - 3]);
  return { nice: field(19), rtPriority: field(40), policy: field(41) };
}
