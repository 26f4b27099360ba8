// Every message on the bus, and the codec that checks them.
export * from "./schema.ts";
export * from "./codec.ts";
export { Rejections } from "./rejections.ts";
