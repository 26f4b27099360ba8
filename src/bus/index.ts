// The bus seam, its two implementations, subjects and trace recording.
export * from "./bus.ts";
export { InProcessBus } from "./in-process-bus.ts";
export { NatsBus, NatsLoginRefusedError, NatsNotPermittedError, type NatsBusOptions } from "./nats-bus.ts";
export { natsLogin, type NatsLogin, type NatsLoginSettings, type NatsLoginOutcome } from "./nats-login.ts";
export { subjects, isSubjectToken } from "./subjects.ts";
export * from "./trace.ts";
