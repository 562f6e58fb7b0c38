/**
 * The children of a metric with two labels, one per pair of label values, made up front: the
 * values are known and few, and an observation then allocates nothing.
 */
export class LabelGrid<T> {
  private readonly cells = new Map<string, Map<string, T>>();

  constructor(rows: Iterable<string>, columns: readonly string[], make: (row: string, column: string) => T) {
    for (const row of rows) this.cells.set(row, new Map(columns.map((column) => [column, make(row, column)])));
  }

  at(row: string, column: string): T {
    const cell = this.cells.get(row)?.get(column);
    if (cell === undefined) throw new Error(`no series for ${row}, ${column}`);
    return cell;
  }
}
