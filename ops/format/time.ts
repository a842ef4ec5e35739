/** 2025-06-15T10:00:00.000Z -> "2025-06-15 10:00:00Z": UTC, to the second, sortable. */
export function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace("T", " ")}Z`;
}
