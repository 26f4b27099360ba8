// Word count: reads a text file, splits it into words, counts them per word with keyed state,
// and writes NDJSON lines {"word": w, "count": c} as the counts update (the last line per word
// is its total).
//
//   npx weir run examples/word-count.ts -- --input README.md --output /tmp/counts.ndjson

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { defineJob } from "../src/index.ts";

interface WordCount {
  word: string;
  count: number;
}

export default defineJob((env, args) => {
  const { values } = parseArgs({ args, options: { input: { type: "string" }, output: { type: "string" } } });
  if (!values.input || !values.output) throw new Error("word-count needs --input <text file> and --output <file>");
  const lines = readFileSync(env.resolvePath(values.input), "utf8").split("\n");

  env.setParallelism(Math.max(2, env.getParallelism()));
  env
    .fromCollection(lines)
    .name("lines")
    .flatMap<WordCount>((line, out) => {
      for (const word of line.toLowerCase().split(/[^\p{L}\p{N}']+/u)) if (word) out.collect({ word, count: 1 });
    })
    .name("split")
    .keyBy((wc) => wc.word)
    .sum("count")
    .name("count")
    .writeAsNdjson(values.output)
    .name("ndjson-file")
    .setParallelism(1);
});
