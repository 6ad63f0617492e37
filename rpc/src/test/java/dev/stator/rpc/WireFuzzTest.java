package dev.stator.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stator.MutationKind;
import dev.stator.Status;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * The server's decoding, fuzzed: any byte string either decodes into a message or is refused
 * with a {@link Wire.DecodeException} carrying a message; nothing else escapes. 10,000 random
 * strings and 10,000 damaged valid messages per run, plus round trips.
 */
class WireFuzzTest {

  /** Decodes with every decoder; fails on anything but success or a DecodeException. */
  private static void decodeAll(byte[] bytes) {
    List<Decoder> decoders = List.of(Wire::decodeMutate, Wire::decodeAttach, Wire::decodeUpdate,
        Wire::decodeAnswer, Wire::decodeClock, Wire::decodeBatch, Wire::decodeAnswerBatch,
        Wire::decodeWhenArgs, Wire::decodeWaited);
    for (Decoder d : decoders) {
      try {
        d.decode(bytes);
      } catch (Wire.DecodeException e) {
        assertThat(e.getMessage()).isNotBlank();
      }
    }
  }

  private interface Decoder {
    Object decode(byte[] bytes) throws Wire.DecodeException;
  }

  @Property(tries = 10_000)
  void randomBytesDecodeOrAreRefusedWithAMessage(@ForAll @Size(max = 200) byte[] bytes) {
    decodeAll(bytes);
  }

  @Property(tries = 10_000)
  void damagedValidMessagesDecodeOrAreRefused(@ForAll("requests") Wire.MutateRequest r,
      @ForAll("damage") int[] damage) {
    byte[] bytes = Wire.encode(r);
    if (bytes.length == 0) return;
    byte[] bad = damage[0] % 2 == 0 ? Arrays.copyOf(bytes, Math.floorMod(damage[1], bytes.length))
        : bytes.clone();
    if (damage[0] % 2 != 0) {
      bad[Math.floorMod(damage[1], bad.length)] ^= (byte) (1 << (damage[2] & 7));
    }
    decodeAll(bad);
  }

  @Property(tries = 10_000)
  void damagedBatchesDecodeOrAreRefused(@ForAll("requests") Wire.MutateRequest r,
      @ForAll("damage") int[] damage) {
    Wire.MutateRequest numbered = new Wire.MutateRequest(r.machineId(), r.kind(), r.states(),
        r.toggle(), r.error(), r.args(), 1 + Math.floorMod(damage[2], 1000), "");
    byte[] bytes = Wire.encodeBatch(List.of(Wire.encode(numbered), Wire.encode(numbered)));
    byte[] bad = damage[0] % 2 == 0 ? Arrays.copyOf(bytes, Math.floorMod(damage[1], bytes.length))
        : bytes.clone();
    if (damage[0] % 2 != 0) {
      bad[Math.floorMod(damage[1], bad.length)] ^= (byte) (1 << (damage[2] & 7));
    }
    decodeAll(bad);
  }

  @Property(tries = 1_000)
  void batchesRoundTripWithTheirIds(@ForAll("requests") Wire.MutateRequest r) throws Exception {
    Wire.MutateRequest numbered = new Wire.MutateRequest(r.machineId(), r.kind(), r.states(),
        r.toggle(), r.error(), r.args(), 7, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    List<Wire.MutateRequest> back = Wire.decodeBatch(Wire.encodeBatch(List.of(
        Wire.encode(numbered), Wire.encode(r))));
    assertThat(back).hasSize(2);
    assertThat(back.get(0).id()).isEqualTo(7);
    assertThat(back.get(0).traceparent()).isEqualTo(numbered.traceparent());
    assertThat(back.get(0).states()).isEqualTo(r.states());
    assertThat(back.get(1).id()).isZero();
  }

  @Test
  void anEmptyOrOversizedBatchIsRefused() {
    assertThatThrownBy(() -> Wire.decodeBatch(new byte[0]))
        .hasMessageContaining("MutateBatch: no mutations");
    byte[] one = Wire.encode(new Wire.MutateRequest("m", MutationKind.ADD, new int[] {0}, false,
        null, List.of()));
    List<byte[]> many = java.util.Collections.nCopies(Wire.MAX_BATCH + 1, one);
    assertThatThrownBy(() -> Wire.decodeBatch(Wire.encodeBatch(many)))
        .hasMessageContaining("more than " + Wire.MAX_BATCH + " mutations");
  }

  @Property(tries = 2_000)
  void mutateRequestsRoundTrip(@ForAll("requests") Wire.MutateRequest r) throws Exception {
    Wire.MutateRequest back = Wire.decodeMutate(Wire.encode(r));
    assertThat(back.machineId()).isEqualTo(r.machineId());
    assertThat(back.kind()).isEqualTo(r.kind());
    assertThat(back.states()).isEqualTo(r.states());
    assertThat(back.toggle()).isEqualTo(r.toggle());
    assertThat(back.args()).isEqualTo(r.args());
    assertThat(back.error()).isEqualTo(r.error());
  }

  @Property(tries = 2_000)
  void clocksRoundTripAndDeltasApply(@ForAll @Size(min = 1, max = 64) long[] raw) throws Exception {
    long[] before = new long[raw.length];
    long[] after = new long[raw.length];
    long active = 0;
    for (int i = 0; i < raw.length; i++) {
      before[i] = Math.abs(raw[i] % 1_000_000);
      after[i] = before[i] + (raw[i] & 3);
      if ((after[i] & 1) != 0) active |= 1L << i;
    }
    Wire.Clock full = Wire.decodeClock(Wire.encode(Wire.Clock.full(active, after, 7)));
    assertThat(full.ticks()).isEqualTo(after);
    assertThat(full.active()).isEqualTo(active);
    Wire.Clock delta = Wire.decodeClock(Wire.encode(Wire.Clock.delta(before, active, after, 8)));
    assertThat(delta.full()).isFalse();
    assertThat(delta.applyTo(before)).isEqualTo(after);
    assertThat(delta.queueTick()).isEqualTo(8);
  }

  @Property(tries = 200)
  void answersRoundTrip(@ForAll("statuses") Status s, @ForAll @Size(max = 40) String reason)
      throws Exception {
    Wire.Answer a = Wire.decodeAnswer(Wire.encode(new Wire.Answer(s, reason, null)));
    assertThat(a.status()).isEqualTo(s);
    assertThat(a.reason()).isEqualTo(reason);
    Wire.AnswerBatch b = Wire.decodeAnswerBatch(Wire.encode(new Wire.AnswerBatch(List.of(
        new Wire.Answer(s, reason, null, 42, 7)), Wire.Clock.full(1, new long[] {1, 0}, 3), 5)));
    assertThat(b.batch()).isEqualTo(5);
    assertThat(b.answers().get(0).id()).isEqualTo(42);
    assertThat(b.answers().get(0).code()).isEqualTo(7);
    assertThat(b.after().ticks()).containsExactly(1, 0);
  }

  @Provide
  Arbitrary<Status> statuses() {
    return Arbitraries.of(Status.class);
  }

  @Provide
  Arbitrary<int[]> damage() {
    return Arbitraries.integers().array(int[].class).ofSize(3);
  }

  @Provide
  Arbitrary<Wire.MutateRequest> requests() {
    Arbitrary<String> id = Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(12);
    Arbitrary<MutationKind> kind = Arbitraries.of(MutationKind.ADD, MutationKind.REMOVE,
        MutationKind.SET);
    Arbitrary<int[]> states = Arbitraries.integers().between(0, 63).array(int[].class)
        .ofMinSize(1).ofMaxSize(6);
    Arbitrary<List<Wire.Arg>> args = Combinators.combine(
        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(6),
        Arbitraries.strings().ofMaxLength(10)).as(Wire.Arg::new).list().ofMaxSize(3);
    Arbitrary<Wire.ErrorData> error = Combinators.combine(Arbitraries.strings().alpha()
        .ofMaxLength(8), Arbitraries.strings().ofMaxLength(8)).as(Wire.ErrorData::new)
        .injectNull(0.7);
    return Combinators.combine(id, kind, states, Arbitraries.of(true, false), error, args)
        .as(Wire.MutateRequest::new);
  }
}
