"""A Wasm canister that holds state: `grow(n)` appends n MiB of pseudo-random bytes to its stable
memory (each MiB different, so a state sync moves n distinct chunks), `size` answers its stable
memory size in bytes.

The arguments and replies are raw little-endian integers (4 bytes in, 8 bytes out), not
Candid: `grow` is called with `(n).to_bytes(4, "little")`. Each MiB costs about 1.5 million
instructions (an xorshift fill of the heap buffer and one `stable64_write`).
"""

from __future__ import annotations

from typing import Final

import wasmtime

MIB: Final = 1 << 20

BALLAST_WAT: Final = """
(module
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param i32 i32 i32)))
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "stable64_size" (func $stable_size (result i64)))
  (import "ic0" "stable64_grow" (func $stable_grow (param i64) (result i64)))
  (import "ic0" "stable64_write" (func $stable_write (param i64 i64 i64)))
  (memory 17)
  (func $fill (param $seed i64)
    (local $i i32) (local $x i64)
    (local.set $x (i64.or (local.get $seed) (i64.const 1)))
    (loop $next
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
      (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
      (i64.store (local.get $i) (local.get $x))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 1048576)))))
  (func $reply_size
    (i64.store (i32.const 1048576) (i64.mul (call $stable_size) (i64.const 65536)))
    (call $append (i32.const 1048576) (i32.const 8))
    (call $reply))
  (func (export "canister_update grow")
    (local $n i64) (local $k i64) (local $offset i64)
    (call $arg_copy (i32.const 1048576) (i32.const 0) (i32.const 4))
    (local.set $n (i64.extend_i32_u (i32.load (i32.const 1048576))))
    (local.set $offset (i64.mul (call $stable_size) (i64.const 65536)))
    (if (i64.lt_s (call $stable_grow (i64.mul (local.get $n) (i64.const 16))) (i64.const 0))
      (then (unreachable)))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $k) (local.get $n)))
        (call $fill (i64.xor (local.get $offset) (i64.const 0x9E3779B97F4A7C15)))
        (call $stable_write (local.get $offset) (i64.const 0) (i64.const 1048576))
        (local.set $offset (i64.add (local.get $offset) (i64.const 1048576)))
        (local.set $k (i64.add (local.get $k) (i64.const 1)))
        (br $next)))
    (call $reply_size))
  (func (export "canister_query size") (call $reply_size)))
"""


def ballast_wasm() -> bytes:
    return bytes(wasmtime.wat2wasm(BALLAST_WAT))


def grow_argument(mib: int) -> bytes:
    return mib.to_bytes(4, "little")


def decode_size(reply: bytes) -> int:
    return int.from_bytes(reply[:8], "little")
