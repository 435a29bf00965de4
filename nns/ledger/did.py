"""The ICP ledger's Candid interface (`ledger.did` names and types of the methods icbox
implements): text only, so a client imports no canister code."""

from __future__ import annotations

from typing import Final

LEDGER_DID: Final = """
type Tokens = record { e8s : nat64 };
type TimeStamp = record { timestamp_nanos : nat64 };
type AccountIdentifier = blob;
type SubAccount = blob;
type Memo = nat64;
type BlockIndex = nat64;
type TransferArgs = record {
  memo : Memo; amount : Tokens; fee : Tokens; from_subaccount : opt SubAccount;
  to : AccountIdentifier; created_at_time : opt TimeStamp;
};
type TransferError = variant {
  BadFee : record { expected_fee : Tokens };
  InsufficientFunds : record { balance : Tokens };
  TxTooOld : record { allowed_window_nanos : nat64 };
  TxCreatedInFuture : null;
  TxDuplicate : record { duplicate_of : BlockIndex };
};
type TransferResult = variant { Ok : Memo; Err : TransferError };
type AccountBalanceArgs = record { account : AccountIdentifier };
type Account = record { owner : principal; subaccount : opt blob };
type Icrc1Tokens = nat;
type Icrc1Timestamp = nat64;
type TransferArg = record {
  from_subaccount : opt SubAccount; to : Account; amount : Icrc1Tokens; fee : opt Icrc1Tokens;
  memo : opt blob; created_at_time : opt Icrc1Timestamp;
};
type Icrc1TransferError = variant {
  BadFee : record { expected_fee : Icrc1Tokens };
  BadBurn : record { min_burn_amount : Icrc1Tokens };
  InsufficientFunds : record { balance : Icrc1Tokens };
  TooOld;
  CreatedInFuture : record { ledger_time : nat64 };
  TemporarilyUnavailable;
  Duplicate : record { duplicate_of : Icrc1Tokens };
  GenericError : record { error_code : nat; message : text };
};
type Icrc1TransferResult = variant { Ok : Icrc1Tokens; Err : Icrc1TransferError };
type Value = variant { Nat : nat; Int : int; Text : text; Blob : blob };
type ApproveArgs = record {
  from_subaccount : opt blob; spender : Account; amount : nat; expected_allowance : opt nat;
  expires_at : opt nat64; fee : opt nat; memo : opt blob; created_at_time : opt nat64;
};
type ApproveError = variant {
  BadFee : record { expected_fee : nat };
  InsufficientFunds : record { balance : nat };
  AllowanceChanged : record { current_allowance : nat };
  Expired : record { ledger_time : nat64 };
  TooOld;
  CreatedInFuture : record { ledger_time : nat64 };
  Duplicate : record { duplicate_of : nat };
  TemporarilyUnavailable;
  GenericError : record { error_code : nat; message : text };
};
type ApproveResult = variant { Ok : nat; Err : ApproveError };
type AllowanceArgs = record { account : Account; spender : Account };
type Allowance = record { allowance : nat; expires_at : opt nat64 };
type TransferFromArgs = record {
  spender_subaccount : opt blob; from : Account; to : Account; amount : nat; fee : opt nat;
  memo : opt blob; created_at_time : opt nat64;
};
type TransferFromError = variant {
  BadFee : record { expected_fee : nat };
  BadBurn : record { min_burn_amount : nat };
  InsufficientFunds : record { balance : nat };
  InsufficientAllowance : record { allowance : nat };
  TooOld;
  CreatedInFuture : record { ledger_time : nat64 };
  Duplicate : record { duplicate_of : nat };
  TemporarilyUnavailable;
  GenericError : record { error_code : nat; message : text };
};
type TransferFromResult = variant { Ok : nat; Err : TransferFromError };
type GetBlocksArgs = record { start : BlockIndex; length : nat64 };
type Operation = variant {
  Mint : record { to : AccountIdentifier; amount : Tokens };
  Burn : record { from : AccountIdentifier; spender : opt AccountIdentifier; amount : Tokens };
  Transfer : record {
    from : AccountIdentifier; to : AccountIdentifier; amount : Tokens; fee : Tokens;
    spender : opt vec nat8;
  };
  Approve : record {
    from : AccountIdentifier; spender : AccountIdentifier; allowance_e8s : int; allowance : Tokens;
    fee : Tokens; expires_at : opt TimeStamp; expected_allowance : opt Tokens;
  };
};
type Transaction = record {
  memo : Memo; icrc1_memo : opt blob; operation : opt Operation; created_at_time : TimeStamp;
};
type Block = record { parent_hash : opt blob; transaction : Transaction; timestamp : TimeStamp };
type QueryArchiveError = variant {
  BadFirstBlockIndex : record { requested_index : BlockIndex; first_valid_index : BlockIndex };
  Other : record { error_code : nat64; error_message : text };
};
type QueryArchiveResult = variant { Ok : record { blocks : vec Block }; Err : QueryArchiveError };
type QueryArchiveFn = func (GetBlocksArgs) -> (QueryArchiveResult) query;
type ArchivedBlocksRange = record { start : BlockIndex; length : nat64; callback : QueryArchiveFn };
type QueryBlocksResponse = record {
  chain_length : nat64; certificate : opt blob; blocks : vec Block; first_block_index : BlockIndex;
  archived_blocks : vec ArchivedBlocksRange;
};
type Archive = record { canister_id : principal };
type Archives = record { archives : vec Archive };
type QueryArchiveEncodedResult = variant { Ok : vec blob; Err : QueryArchiveError };
type ArchivedEncodedBlocksRange = record {
  callback : func (GetBlocksArgs) -> (QueryArchiveEncodedResult) query; start : nat64; length :
    nat64;
};
type QueryEncodedBlocksResponse = record {
  certificate : opt blob; blocks : vec blob; chain_length : nat64; first_block_index : nat64;
  archived_blocks : vec ArchivedEncodedBlocksRange;
};
type TextAccountIdentifier = text;
type SendArgs = record {
  to : TextAccountIdentifier; fee : Tokens; memo : Memo; from_subaccount : opt SubAccount;
  created_at_time : opt TimeStamp; amount : Tokens;
};
type RemoveApprovalArgs = record { fee : opt nat; from_subaccount : opt SubAccount; spender :
  AccountIdentifier };
type GetAllowancesArgs = record {
  from_account_id : TextAccountIdentifier; prev_spender_id : opt TextAccountIdentifier; take : opt
    nat64;
};
type Allowances = vec record {
  from_account_id : TextAccountIdentifier; to_spender_id : TextAccountIdentifier; allowance :
    Tokens;
  expires_at : opt nat64;
};
type icrc21_consent_message_metadata = record { language : text; utc_offset_minutes : opt int16 };
type icrc21_consent_message_spec = record {
  metadata : icrc21_consent_message_metadata;
  device_spec : opt variant { GenericDisplay; FieldsDisplay };
};
type icrc21_consent_message_request = record {
  method : text; arg : blob; user_preferences : icrc21_consent_message_spec;
};
type Icrc21Value = variant {
  TokenAmount : record { decimals : nat8; amount : nat64; symbol : text };
  TimestampSeconds : record { amount : nat64 };
  DurationSeconds : record { amount : nat64 };
  Text : record { content : text };
};
type icrc21_consent_message = variant {
  GenericDisplayMessage : text;
  FieldsDisplayMessage : record { intent : text; fields : vec record { text; Icrc21Value } };
};
type icrc21_consent_info = record {
  consent_message : icrc21_consent_message; metadata : icrc21_consent_message_metadata;
};
type icrc21_error_info = record { description : text };
type icrc21_error = variant {
  UnsupportedCanisterCall : icrc21_error_info;
  ConsentMessageUnavailable : icrc21_error_info;
  InsufficientPayment : icrc21_error_info;
  GenericError : record { error_code : nat; description : text };
};
type icrc21_consent_message_response = variant { Ok : icrc21_consent_info; Err : icrc21_error };
service : {
  transfer : (TransferArgs) -> (TransferResult);
  send_dfx : (SendArgs) -> (BlockIndex);
  account_balance_dfx : (record { account : TextAccountIdentifier }) -> (Tokens) query;
  account_identifier : (Account) -> (AccountIdentifier) query;
  query_encoded_blocks : (GetBlocksArgs) -> (QueryEncodedBlocksResponse) query;
  archives : () -> (Archives) query;
  is_ledger_ready : () -> (bool) query;
  tip_of_chain : () -> (record { certification : opt blob; tip_index : BlockIndex }) query;
  icrc10_supported_standards : () -> (vec record { name : text; url : text }) query;
  account_balance : (AccountBalanceArgs) -> (Tokens) query;
  transfer_fee : (record {}) -> (record { transfer_fee : Tokens }) query;
  query_blocks : (GetBlocksArgs) -> (QueryBlocksResponse) query;
  symbol : () -> (record { symbol : text }) query;
  name : () -> (record { name : text }) query;
  decimals : () -> (record { decimals : nat32 }) query;
  icrc1_name : () -> (text) query;
  icrc1_symbol : () -> (text) query;
  icrc1_decimals : () -> (nat8) query;
  icrc1_fee : () -> (nat) query;
  icrc1_metadata : () -> (vec record { text; Value }) query;
  icrc1_minting_account : () -> (opt Account) query;
  icrc1_balance_of : (Account) -> (nat) query;
  icrc1_total_supply : () -> (nat) query;
  icrc1_supported_standards : () -> (vec record { name : text; url : text }) query;
  icrc1_transfer : (TransferArg) -> (Icrc1TransferResult);
  icrc2_approve : (ApproveArgs) -> (ApproveResult);
  icrc2_allowance : (AllowanceArgs) -> (Allowance) query;
  icrc2_transfer_from : (TransferFromArgs) -> (TransferFromResult);
  remove_approval : (RemoveApprovalArgs) -> (ApproveResult);
  get_allowances : (GetAllowancesArgs) -> (Allowances) query;
  icrc21_canister_call_consent_message : (icrc21_consent_message_request) ->
    (icrc21_consent_message_response);
}
"""
