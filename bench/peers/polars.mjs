// polars.mjs FILE REPEAT ANSWERS: the bench in Polars (nodejs-polars), run
// with POLARS_MAX_THREADS set by bench/run.sh.  Loads FILE into a DataFrame
// (type inference on, dates parsed; timed once: "load"), runs Q1..Q5 REPEAT
// times each (eager DataFrame API), prints the median seconds of each, and
// writes the answers of the first run to ANSWERS (raw form of bench/canon.lua).
// Without FILE it only loads Polars.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import pl from 'nodejs-polars';

const [file, repeat = '3', answers] = process.argv.slice(2);
if (file) {
  const sec = () => performance.now() / 1000;
  const value = (v) => (v === null || v === undefined ? 'NULL' : String(v));
  const t0 = sec();
  const t = pl.readCSV(file, { tryParseDates: true });
  console.log(`load ${(sec() - t0).toFixed(6)}`);
  console.log(`rows ${t.height}`);
  const year = pl.col('report_date').dt.year();
  const queries = [
    ['Q1', () => t.filter(pl.col('status').eq(pl.lit('active')).and(year.eq(2023)))
      .groupBy('kind').agg(pl.len().alias('n'))],
    ['Q2', () => t.groupBy(['district', 'kind']).agg(
      pl.len().alias('n'), pl.col('members').sum().alias('members'),
      pl.col('revenue_vnd').mean().alias('avg_rev'), pl.col('workers').sum().alias('workers'))],
    // sum() of a group without values is 0 in Polars where SQL gives null; no
    // group of Q3, and none of Q4's top 10, is without values (the answer
    // check would tell).
    ['Q3', () => t.groupBy(['commune', year.alias('year')]).agg(
      pl.col('revenue_vnd').sum().alias('revenue'),
      pl.col('profit_vnd').max().alias('max_profit'))],
    ['Q4', () => t.groupBy('org_id').agg(pl.col('revenue_vnd').sum().alias('revenue'))
      .sort(['revenue', 'org_id'], [true, false], true).head(10)],
    ['Q5', () => t.groupBy('sector').agg(pl.col('revenue_vnd').median().alias('median'))],
  ];
  let out = '';
  for (const [name, q] of queries) {
    const times = [];
    let rows;
    for (let r = 0; r < Number(repeat); r++) {
      const s = sec();
      const df = q();
      const got = df.rows();
      times.push(sec() - s);
      if (r === 0) rows = got;
    }
    times.sort((a, b) => a - b);
    console.log(`${name} ${times[(times.length - 1) >> 1].toFixed(6)}`);
    out += `#${name}\n` + rows.map((row) => row.map(value).join('\t') + '\n').join('');
  }
  if (answers) writeFileSync(answers, out);
}
