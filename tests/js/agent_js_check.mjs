// The official agents against icbox: @dfinity/agent 3.4.3 ("dfinity": v3 call, v2 query and
// read_state) or @icp-sdk/core 5.4.0 ("icp-sdk", the agent of @dfinity/nns 12: v4 call, which
// answers 404 and falls back to v2, v3 query and read_state). For each url=canister pair: an
// update (certificate verified against the root key, through the NNS delegation on the
// application subnet), a query (node signature verified), and a wrong pinned root key that
// must fail. Prints one JSON line.
const [, , flavour, ...targets] = process.argv;
const { Actor, HttpAgent } = await import(flavour === "icp-sdk" ? "@icp-sdk/core/agent" : "@dfinity/agent");
const { Ed25519KeyIdentity } = await import(flavour === "icp-sdk" ? "@icp-sdk/core/identity" : "@dfinity/identity");
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
