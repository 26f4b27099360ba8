// Layering of src/. Folders sit on floors; a folder imports only folders on lower floors (never one
// on its own floor or above), so there is no import cycle between folders. `core` is the ground
// floor: the contracts every layer uses. Files of one folder may import each other freely, and
// src/ never imports tests, benchmarks or examples.
const floors = [
  ["core", "observability"],
  ["bus", "messages"],
  ["checkpoint"],
  ["state"],
  ["operators"],
  ["graph", "joins", "windowing", "nexmark", "connectors"],
  ["coordinator", "runtime", "monitor"],
  ["actors", "api"],
  ["cluster"],
  ["rest"],
  ["testing"],
  // `weir trace replay` runs the replay harness of weir/testing.
  ["cli"],
];

const floorRules = floors.flatMap((folders, level) =>
  folders.map((folder) => {
    const notBelow = floors.slice(level).flat().filter((other) => other !== folder);
    return {
      name: `floor-${level}-${folder}`,
      severity: "error",
      comment: `src/${folder} (floor ${level}) may import only folders on lower floors`,
      from: { path: `^src/${folder}/` },
      to: { path: `^src/(${notBelow.join("|")})/` },
    };
  }),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...floorRules,
    {
      name: "every-folder-has-a-floor",
      severity: "error",
      comment: "A new folder of src/ must be given a floor in .dependency-cruiser.cjs.",
      from: { path: "^src/", pathNot: `^src/([^/]+\\.ts$|(${floors.flat().join("|")})/)` },
      to: {},
    },
    {
      name: "no-folder-cycles",
      severity: "error",
      comment: "A folder of src/ must not import, directly or through others, a folder that imports it.",
      from: { path: "^src/([^/]+)/" },
      // a cycle that leaves the folder it starts in (cycles of files inside one folder are its own business)
      to: { circular: true, viaSomeNot: "^src/$1/" },
    },
    {
      name: "src-does-not-import-tests",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench|examples)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^node_modules" },
  },
};
