// Decodes Candid messages with the official JavaScript library (@dfinity/candid) at types given
// as JSON, and prints each value in a plain JSON form the Python tests compare with.
// Input (stdin): {"defs": {id: type}, "cases": [{"types": [type], "hex": "4449444c..."}]}.
import { IDL } from "@dfinity/candid";
import { readFileSync } from "node:fs";

const job = JSON.parse(readFileSync(0, "utf8"));
const recs = {};
for (const id of Object.keys(job.defs)) recs[id] = IDL.Rec();

const PRIMITIVES = {
  null: IDL.Null, bool: IDL.Bool, nat: IDL.Nat, int: IDL.Int, nat8: IDL.Nat8, nat16: IDL.Nat16, nat32: IDL.Nat32,
  nat64: IDL.Nat64, int8: IDL.Int8, int16: IDL.Int16, int32: IDL.Int32, int64: IDL.Int64, float32: IDL.Float32,
  float64: IDL.Float64, text: IDL.Text, reserved: IDL.Reserved, empty: IDL.Empty, principal: IDL.Principal,
};

function build(type) {
  if (type.p !== undefined) return PRIMITIVES[type.p];
  if (type.ref !== undefined) return recs[type.ref];
  if (type.opt !== undefined) return IDL.Opt(build(type.opt));
  if (type.vec !== undefined) return IDL.Vec(build(type.vec));
  if (type.tuple !== undefined) return IDL.Tuple(...type.tuple.map(build));
  if (type.record !== undefined) return IDL.Record(Object.fromEntries(type.record.map(([n, t]) => [n, build(t)])));
  if (type.variant !== undefined) return IDL.Variant(Object.fromEntries(type.variant.map(([n, t]) => [n, build(t)])));
  if (type.func !== undefined) return IDL.Func(type.func.args.map(build), type.func.rets.map(build), type.func.modes);
  if (type.service !== undefined) return IDL.Service({});
  throw new Error(`unknown type ${JSON.stringify(type)}`);
}
for (const [id, type] of Object.entries(job.defs)) recs[id].fill(build(type));

const hex = (bytes) => Buffer.from(bytes).toString("hex");

function plain(type, value) {
  if (type.ref !== undefined) return plain(job.defs[type.ref], value);
  if (type.p !== undefined) {
    switch (type.p) {
      case "null": case "reserved": return null;
      case "bool": case "text": return value;
      case "float32": case "float64": return Number(value);
      case "principal": return value.toText();
      default: return String(value);
    }
  }
  if (type.opt !== undefined) return value.length === 0 ? null : [plain(type.opt, value[0])];
  if (type.vec !== undefined) {
    const inner = type.vec.ref !== undefined ? job.defs[type.vec.ref] : type.vec;
    if (inner.p === "nat8") return hex(value);
    return Array.from(value, (item) => plain(type.vec, item));
  }
  if (type.tuple !== undefined) return type.tuple.map((t, i) => plain(t, value[i]));
  if (type.record !== undefined) return Object.fromEntries(type.record.map(([n, t]) => [n, plain(t, value[n])]));
  if (type.variant !== undefined) {
    const [tag] = Object.keys(value);
    const entry = type.variant.find(([n]) => n === tag);
    return { [tag]: plain(entry[1], value[tag]) };
  }
  if (type.func !== undefined) return [value[0].toText(), value[1]];
  return null;
}

const out = job.cases.map(({ types, hex: message }) => {
  try {
    const decoded = IDL.decode(types.map(build), new Uint8Array(Buffer.from(message, "hex")));
    return { ok: types.map((t, i) => plain(t, decoded[i])) };
  } catch (error) {
    return { error: String(error && error.message ? error.message : error) };
  }
});
process.stdout.write(JSON.stringify(out));
