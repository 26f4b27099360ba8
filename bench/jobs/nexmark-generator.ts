// The Nexmark benchmark's baseline as a job module: the generator alone (source → discard sink),
// with the query jobs' command line (examples/nexmark/common.ts).
//
//   weir run bench/jobs/nexmark-generator.ts --nats <url> -- --events 2000000 --parallelism 2

import { queryJob } from "../../examples/nexmark/common.ts";

export default queryJob((events) => events);
