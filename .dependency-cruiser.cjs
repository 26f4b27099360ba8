// Layering of src/: no import cycles between files or folders beyond the known ones recorded in
// .dependency-cruiser-known-violations.json (which may only shrink), and tests never imported by src/.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
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
