// WGSL sources are imported as strings (`?raw`), inlined by Vite in the library build.
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}
