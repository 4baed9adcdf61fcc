// polars.mjs WORKLOAD FILE: one benchmark workload in Polars (run with
// POLARS_MAX_THREADS=1). WORKLOAD "noop" only loads Polars.
import pl from 'nodejs-polars';
const [workload, file] = process.argv.slice(2);
if (workload === 'csv_read') {
  const df = pl.readCSV(file);
  console.log(df.height, df.getColumn('members').sum());
}
