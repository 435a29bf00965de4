"""WebAssembly canisters: the wasmtime host, the `ic0` System API, rollback, lifecycle and cycles.

`subnet.WasmSubnet` is the runtime the execution engine hands Wasm canisters'
messages to; `operations.CanisterOperations` is what a command line drives.
"""
