// duckdb.mjs FILE THREADS REPEAT ANSWERS: the bench in DuckDB
// (@duckdb/node-api), in memory, with THREADS threads.  Loads FILE into a
// table (type inference on; timed once: "load"), runs Q1..Q5 REPEAT times
// each, prints the median seconds of each, and writes the answers of the
// first run to ANSWERS (the raw form of bench/canon.lua).
// Without FILE it only starts DuckDB.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';

const queries = [
  ['Q1', `select kind, count(*) from t where status = 'active' and year(report_date) = 2023
          group by kind`],
  ['Q2', `select district, kind, count(*), sum(members), avg(revenue_vnd), sum(workers)
          from t group by district, kind`],
  ['Q3', `select commune, year(report_date) as year, sum(revenue_vnd), max(profit_vnd)
          from t group by commune, year`],
  ['Q4', `select org_id, sum(revenue_vnd) as revenue from t group by org_id
          order by revenue desc nulls last, org_id limit 10`],
  ['Q5', 'select sector, median(revenue_vnd) from t group by sector'],
];

const [file, threads = '1', repeat = '3', answers] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const con = await inst.connect();
if (file) {
  const sec = () => performance.now() / 1000;
  const value = (v) => (v === null || v === undefined ? 'NULL' : String(v));
  const t0 = sec();
  await con.run(`create table t as select * from read_csv('${file}')`);
  console.log(`load ${(sec() - t0).toFixed(6)}`);
  const n = (await con.runAndReadAll('select count(*) from t')).getRows()[0][0];
  console.log(`rows ${n}`);
  let out = '';
  for (const [name, sql] of queries) {
    const times = [];
    let rows;
    for (let r = 0; r < Number(repeat); r++) {
      const s = sec();
      const res = await con.runAndReadAll(sql);
      const got = res.getRows();
      times.push(sec() - s);
      if (r === 0) rows = got;
    }
    times.sort((a, b) => a - b);
    console.log(`${name} ${times[(times.length - 1) >> 1].toFixed(6)}`);
    out += `#${name}\n` + rows.map((row) => row.map(value).join('\t') + '\n').join('');
  }
  if (answers) writeFileSync(answers, out);
}
