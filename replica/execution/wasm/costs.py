"""The cycles cost schedule and the instruction limits of an application subnet.

The numbers are the IC's (rs/config/src/subnet_config.rs,
`CyclesAccountManagerConfig::application_subnet` and
`SchedulerConfig::application_subnet`), given for a reference subnet of 13
nodes and scaled linearly to the subnet's size as the cycles account manager
does (rs/cycles_account_manager/src/lib.rs, `scale_cost`). System subnets
charge nothing.

The freezing threshold (rs/cycles_account_manager/src/lib.rs,
`freeze_threshold_cycles`): a canister must keep enough cycles to pay for its
memory and compute allocation during `freezing_threshold` seconds; below that
it is frozen and refuses every message that would spend cycles, with the
spec's SYS_TRANSIENT reject ("out of cycles").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

GIB: Final = 1024**3
REFERENCE_SUBNET_SIZE: Final = 13

MAX_INSTRUCTIONS_PER_MESSAGE: Final = 40_000_000_000
MAX_INSTRUCTIONS_PER_MESSAGE_WITHOUT_DTS: Final = 5_000_000_000
MAX_INSTRUCTIONS_PER_SLICE: Final = 2_000_000_000
MAX_INSTRUCTIONS_PER_ROUND: Final = 7_000_000_000
MAX_INSTRUCTIONS_PER_INSTALL_CODE: Final = 300_000_000_000
MAX_INSTRUCTIONS_PER_QUERY: Final = 5_000_000_000
INSTRUCTION_OVERHEAD_PER_EXECUTION: Final = 2_000_000
DEFAULT_FREEZING_THRESHOLD_SECONDS: Final = 30 * 24 * 3600
WASM_PAGE_SIZE: Final = 65536
MAX_STABLE_MEMORY_BYTES: Final = 500 * GIB
MAX_WASM32_MEMORY_BYTES: Final = 4 * GIB
MAX_WASM64_MEMORY_BYTES: Final = 6 * GIB
MAX_TABLE_ELEMENTS: Final = (
    1_000_000  # the IC's MAX_NUMBER_OF_TABLE_ELEMENTS (wasm_utils/validation.rs)
)
MAX_CHUNK_SIZE: Final = 1024 * 1024
MAX_CHUNKS: Final = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class CostSchedule:
    """Fees in cycles, for the subnet's size."""

    subnet_size: int = REFERENCE_SUBNET_SIZE
    free: bool = False
    canister_creation_fee: int = 500_000_000_000
    update_message_execution_fee: int = 5_000_000
    ten_update_instructions_execution_fee: int = 10
    ten_update_instructions_execution_fee_wasm64: int = 20
    xnet_call_fee: int = 260_000
    xnet_byte_transmission_fee: int = 1_000
    ingress_message_reception_fee: int = 1_200_000
    ingress_byte_reception_fee: int = 2_000
    gib_storage_per_second_fee: int = 127_000
    compute_percent_allocated_per_second_fee: int = 10_000_000

    @classmethod
    def for_subnet(cls, subnet_type: str, subnet_size: int = REFERENCE_SUBNET_SIZE) -> CostSchedule:
        return cls(subnet_size=subnet_size, free=subnet_type == "system")

    def _scale(self, cycles: int) -> int:
        if self.free:
            return 0
        return cycles * self.subnet_size // REFERENCE_SUBNET_SIZE

    def execution_cost(self, instructions: int, *, wasm64: bool = False) -> int:
        """The fee for executing one message of `instructions` instructions."""
        per_ten = (
            self.ten_update_instructions_execution_fee_wasm64
            if wasm64
            else self.ten_update_instructions_execution_fee
        )
        return self._scale(self.update_message_execution_fee + instructions // 10 * per_ten)

    def prepay_execution(self, instruction_limit: int, *, wasm64: bool = False) -> int:
        """What a message reserves before it runs: the fee of its whole instruction limit."""
        return self.execution_cost(instruction_limit, wasm64=wasm64)

    def ingress_induction_cost(self, size: int) -> int:
        return self._scale(
            self.ingress_message_reception_fee + self.ingress_byte_reception_fee * size
        )

    def xnet_call_cost(self, request_bytes: int) -> int:
        return self._scale(self.xnet_call_fee + self.xnet_byte_transmission_fee * request_bytes)

    def xnet_response_reservation(self, max_response_bytes: int = 2 * 1024 * 1024) -> int:
        """What a call reserves for transmitting its response (refunded for what the response did
        not use)."""
        return self._scale(self.xnet_byte_transmission_fee * max_response_bytes)

    def storage_cost(self, byte_seconds: int) -> int:
        """The fee for storing `byte_seconds` bytes x seconds."""
        return self._scale(byte_seconds * self.gib_storage_per_second_fee // GIB)

    def compute_allocation_cost(self, percent: int, seconds: int) -> int:
        return self._scale(percent * seconds * self.compute_percent_allocated_per_second_fee)

    def idle_cycles_burned_per_day(self, memory_bytes: int, compute_allocation: int) -> int:
        day = 24 * 3600
        return self.storage_cost(memory_bytes * day) + self.compute_allocation_cost(
            compute_allocation, day
        )

    def freezing_threshold_cycles(
        self,
        *,
        freezing_threshold_seconds: int,
        memory_bytes: int,
        memory_allocation: int,
        compute_allocation: int,
    ) -> int:
        """The balance below which a canister is frozen."""
        charged_memory = max(memory_bytes, memory_allocation)
        return self.storage_cost(
            charged_memory * freezing_threshold_seconds
        ) + self.compute_allocation_cost(compute_allocation, freezing_threshold_seconds)
