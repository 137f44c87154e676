// The consumer-group assigner of the billing run lease: the lease topic has one partition, and
// the group coordinator gives it to one member. The member that holds it says so in its join
// metadata and keeps it through a rebalance (another replica starting or leaving), so a run under
// way is not fenced off by a mere join; when the holder is gone (left, or evicted after the
// session timeout), the partition goes to the first member by id. A member evicted for silence
// (paused past the timeout) has heard nothing from the coordinator for that long: it rejoins
// without a claim (kafka-lease.ts), so the replica that took over keeps the lease.
import kafkajs, { type PartitionAssigner } from 'kafkajs';

const { AssignerProtocol } = kafkajs;

export const LEASE_ASSIGNER = 'TollgateBillingLease';

export interface LeaseMember {
  memberId: string;
  holds: boolean;
}

/** The member that gets the partition: a current holder (the first by id, should two claim it), else the first member by id. */
export function leaseWinner(members: readonly LeaseMember[]): string | undefined {
  const sorted = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
  return (sorted.find((m) => m.holds) ?? sorted[0])?.memberId;
}

export function leaseAssigner(topic: string, holds: () => boolean): PartitionAssigner {
  return () => ({
    name: LEASE_ASSIGNER,
    version: 1,
    async assign({ members }) {
      const decoded = members.map((m) => {
        const metadata = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
        return { memberId: m.memberId, holds: metadata?.userData.toString('utf8') === 'holds' };
      });
      const winner = leaseWinner(decoded);
      return members.map((m) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: m.memberId === winner ? { [topic]: [0] } : {}, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return { name: LEASE_ASSIGNER, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.from(holds() ? 'holds' : '') }) };
    },
  });
}
