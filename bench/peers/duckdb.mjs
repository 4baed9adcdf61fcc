// duckdb.mjs WORKLOAD FILE: runs one benchmark workload in DuckDB on one
// thread. WORKLOAD "noop" starts DuckDB and does nothing (the start-up
// cost that bench/run.sh subtracts).
import { DuckDBInstance } from '@duckdb/node-api';
const [workload, file] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
if (workload === 'csv_read') {
  await con.run(`create table t as select * from read_csv('${file}')`);
  const r = await con.runAndReadAll('select count(*), sum(members) from t');
  console.log(r.getRows()[0].join(' '));
}
