package dev.infer.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.platform.Fp16Conversions;
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

    private static void agrees(short... halves) {
        assertEquals(widened(halves), BatchedStep.argmaxHalf(halves, halves.length),
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
    void all_negative_rows_pick_the_value_closest_to_zero() {
        short a = Fp16Conversions.floatToFp16(-3.5f);
        short b = Fp16Conversions.floatToFp16(-0.25f);
        short c = Fp16Conversions.floatToFp16(-7f);
        agrees(a, b, c);
        assertEquals(1, BatchedStep.argmaxHalf(new short[] {a, b, c}, 3));
    }

    @Test
    void minus_zero_and_plus_zero_tie_so_the_first_one_wins() {
        agrees(NEG_ZERO, POS_ZERO);
        agrees(POS_ZERO, NEG_ZERO);
        assertEquals(0, BatchedStep.argmaxHalf(new short[] {NEG_ZERO, POS_ZERO}, 2));
    }

    @Test
    void nan_never_wins_and_infinities_order_as_floats_do() {
        agrees(Fp16Conversions.floatToFp16(1f), NAN, Fp16Conversions.floatToFp16(2f));
        agrees(NAN, Fp16Conversions.floatToFp16(5f));
        agrees(NEG_INF, Fp16Conversions.floatToFp16(-60000f), POS_INF, NAN);
        assertEquals(2, BatchedStep.argmaxHalf(
                new short[] {Fp16Conversions.floatToFp16(1f), NAN, POS_INF}, 3));
    }

    @Test
    void only_the_first_n_values_are_considered() {
        short small = Fp16Conversions.floatToFp16(1f);
        short big = Fp16Conversions.floatToFp16(9f);
        assertEquals(0, BatchedStep.argmaxHalf(new short[] {small, small, big}, 2));
        assertEquals(2, BatchedStep.argmaxHalf(new short[] {small, small, big}, 3));
    }
}
