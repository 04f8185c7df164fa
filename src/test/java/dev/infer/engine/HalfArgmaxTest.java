package dev.infer.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.platform.Fp16Conversions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Greedy decoding on raw fp16 scores must pick what it picks on the same scores as floats. */
class HalfArgmaxTest {
    private static final short POS_ZERO = 0x0000;
    private static final short NEG_ZERO = (short) 0x8000;
    private static final short NAN = 0x7E00;
    private static final short POS_INF = 0x7C00;
    private static final short NEG_INF = (short) 0xFC00;

    private static int widened(short[] halves) {
        float[] floats = new float[halves.length];
        for (int i = 0; i < halves.length; i++) {
            floats[i] = Fp16Conversions.fp16ToFloat(halves[i]);
        }
        return Sampler.argmax(floats);
    }

    /** Over the first {@code n} values, read from a buffer as the batched step reads logits. */
    private static int argmax(int n, short... halves) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(2 * halves.length + 6)
                .order(ByteOrder.nativeOrder());
        // Not on an 8-byte boundary: a row of logits may start anywhere in the output.
        buffer.position(6);
        ByteBuffer row = buffer.slice().order(ByteOrder.nativeOrder());
        row.asShortBuffer().put(halves);
        long[] words = new long[n / 4 + 1];
        BatchedStep.packHalves(row, n, words);
        return BatchedStep.argmaxHalf(words, n);
    }

    private static int argmax(short... halves) {
        return argmax(halves.length, halves);
    }

    private static void agrees(short... halves) {
        assertEquals(widened(halves), argmax(halves),
                () -> Arrays.toString(halves));
    }

    @Test
    void picks_the_same_index_as_float_argmax_on_random_rows_with_negatives_and_ties() {
        SplittableRandom random = new SplittableRandom(7);
        for (int trial = 0; trial < 2000; trial++) {
            short[] row = new short[1 + random.nextInt(300)];
            for (int i = 0; i < row.length; i++) {
                // Few distinct values so that ties are common; both signs.
                row[i] = Fp16Conversions.floatToFp16((float) (random.nextInt(-20, 20) / 4.0));
            }
            agrees(row);
        }
    }

    @Test
    void long_rows_with_a_few_nans_and_infinities_agree_with_float_argmax() {
        SplittableRandom random = new SplittableRandom(11);
        for (int trial = 0; trial < 200; trial++) {
            short[] row = new short[1 + random.nextInt(40_000)];
            for (int i = 0; i < row.length; i++) {
                row[i] = Fp16Conversions.floatToFp16((float) (random.nextGaussian() * 0.2));
            }
            for (int k = random.nextInt(4); k > 0; k--) {
                short[] odd = {NAN, (short) 0xFE00, POS_INF, NEG_INF};
                row[random.nextInt(row.length)] = odd[random.nextInt(odd.length)];
            }
            agrees(row);
        }
    }

    @Test
    void all_negative_rows_pick_the_value_closest_to_zero() {
        short a = Fp16Conversions.floatToFp16(-3.5f);
        short b = Fp16Conversions.floatToFp16(-0.25f);
        short c = Fp16Conversions.floatToFp16(-7f);
        agrees(a, b, c);
        assertEquals(1, argmax(3, new short[] {a, b, c}));
    }

    @Test
    void minus_zero_and_plus_zero_tie_so_the_first_one_wins() {
        agrees(NEG_ZERO, POS_ZERO);
        agrees(POS_ZERO, NEG_ZERO);
        assertEquals(0, argmax(2, new short[] {NEG_ZERO, POS_ZERO}));
    }

    @Test
    void nan_never_wins_and_infinities_order_as_floats_do() {
        agrees(Fp16Conversions.floatToFp16(1f), NAN, Fp16Conversions.floatToFp16(2f));
        agrees(NAN, Fp16Conversions.floatToFp16(5f));
        agrees(NEG_INF, Fp16Conversions.floatToFp16(-60000f), POS_INF, NAN);
        assertEquals(2, argmax(3, new short[] {Fp16Conversions.floatToFp16(1f), NAN, POS_INF}));
    }

    @Test
    void once_the_best_is_positive_ties_nan_and_infinity_still_behave() {
        short one = Fp16Conversions.floatToFp16(1f);
        short three = Fp16Conversions.floatToFp16(3f);
        short negativeNan = (short) 0xFE00;
        agrees(one, three, NAN, three, negativeNan, NEG_INF);
        assertEquals(1, argmax(4, new short[] {one, three, NAN, three}));
        assertEquals(3, argmax(5, new short[] {one, three, NAN, POS_INF, NAN}));
        agrees(NEG_ZERO, Fp16Conversions.floatToFp16(-1f), POS_ZERO, one, POS_ZERO, one);
    }

    @Test
    void only_the_first_n_values_are_considered() {
        short small = Fp16Conversions.floatToFp16(1f);
        short big = Fp16Conversions.floatToFp16(9f);
        assertEquals(0, argmax(2, new short[] {small, small, big}));
        assertEquals(2, argmax(3, new short[] {small, small, big}));
    }
}
