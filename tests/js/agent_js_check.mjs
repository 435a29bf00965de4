// The official agent-js (@dfinity/agent 3.4.3) against icbox: an update (v3, certificate verified
// against the root key, with the NNS delegation on the application subnet), a query (node
// signature verified), and a wrong pinned root key that must fail. Prints one JSON line.
import { Actor, HttpAgent } from "@dfinity/agent";
import { Ed25519KeyIdentity } from "@dfinity/identity";

const [, , ...targets] = process.argv; // url=canister pairs
const idlFactory = ({ IDL }) =>
  IDL.Service({ add: IDL.Func([IDL.Nat], [IDL.Nat], []), get: IDL.Func([], [IDL.Nat], ["query"]) });

const results = {};
for (const target of targets) {
  const [host, canisterId] = target.split("=");
  const agent = await HttpAgent.create({
    host, identity: Ed25519KeyIdentity.generate(), shouldFetchRootKey: true, verifyQuerySignatures: true,
  });
  const counter = Actor.createActor(idlFactory, { agent, canisterId });
  const added = await counter.add(5n);
  const read = await counter.get();
  const entry = { added: added.toString(), read: read.toString() };

  const status = await agent.status();
  const otherKey = new Uint8Array(status.root_key);
  otherKey[otherKey.length - 1] ^= 1; // not a valid key any more, or a different one
  try {
    const wrong = await HttpAgent.create({ host, rootKey: otherKey, identity: Ed25519KeyIdentity.generate() });
    await Actor.createActor(idlFactory, { agent: wrong, canisterId }).add(1n);
    entry.wrongRootKey = "accepted";
  } catch (error) {
    entry.wrongRootKey = "refused";
  }
  results[canisterId] = entry;
}
console.log(JSON.stringify(results));
