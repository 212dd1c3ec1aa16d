// `import module from './x.wasm'`: a compiled module, as wrangler (CompiledWasm) and the
// test and bench bundlers provide it.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
