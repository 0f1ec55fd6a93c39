"""Pure integrity primitives: RFC 6962/9162 Merkle proofs and C2SP signed notes and checkpoints."""
