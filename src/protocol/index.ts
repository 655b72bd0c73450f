export * from "./topics.js";
export * from "./schemas.js";
export * from "./codec.js";
