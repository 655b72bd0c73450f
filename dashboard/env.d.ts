// esbuild bundles CSS imported from TypeScript into the app stylesheet; to the type checker it is a side effect only.
declare module "*.css";
