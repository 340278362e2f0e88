// Owned by the fan-out work: FanoutStateRepository (collection fanout_signals).
export {};
