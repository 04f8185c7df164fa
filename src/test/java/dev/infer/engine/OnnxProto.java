package dev.infer.engine;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Just enough of the protobuf wire format to write ONNX models in tests: each instance is one
 * message being built; fields are appended in any order. Field numbers are those of onnx.proto.
 */
final class OnnxProto {
    static final int FLOAT = 1;
    static final int INT32 = 6;
    static final int INT64 = 7;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    OnnxProto varint(int field, long value) {
        tag(field, 0);
        raw(value);
        return this;
    }

    OnnxProto string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    OnnxProto bytes(int field, byte[] value) {
        tag(field, 2);
        raw(value.length);
        out.writeBytes(value);
        return this;
    }

    OnnxProto message(int field, OnnxProto value) {
        return bytes(field, value.toByteArray());
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private void tag(int field, int wireType) {
        raw(((long) field << 3) | wireType);
    }

    private void raw(long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }

    // ONNX messages, by the field numbers of onnx.proto.

    static OnnxProto model(OnnxProto graph, int opset) {
        return new OnnxProto().varint(1, 8).string(2, "infer-tests")
                .message(8, new OnnxProto().string(1, "").varint(2, opset))
                .message(7, graph);
    }

    static OnnxProto node(String op, String[] inputs, String[] outputs, OnnxProto... attributes) {
        OnnxProto n = new OnnxProto();
        for (String in : inputs) {
            n.string(1, in);
        }
        for (String o : outputs) {
            n.string(2, o);
        }
        n.string(3, outputs[0] + "_node").string(4, op);
        for (OnnxProto a : attributes) {
            n.message(5, a);
        }
        return n;
    }

    static OnnxProto intAttribute(String name, long value) {
        return new OnnxProto().string(1, name).varint(3, value).varint(20, 2);
    }

    static OnnxProto intsAttribute(String name, long... values) {
        OnnxProto a = new OnnxProto().string(1, name);
        for (long v : values) {
            a.varint(8, v);
        }
        return a.varint(20, 7);
    }

    static OnnxProto floatTensor(String name, float[] values, long... dims) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            raw.putFloat(v);
        }
        return tensor(name, FLOAT, raw.array(), dims);
    }

    static OnnxProto longTensor(String name, long[] values, long... dims) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            raw.putLong(v);
        }
        return tensor(name, INT64, raw.array(), dims);
    }

    private static OnnxProto tensor(String name, int type, byte[] raw, long... dims) {
        OnnxProto t = new OnnxProto();
        for (long d : dims) {
            t.varint(1, d);
        }
        return t.varint(2, type).string(8, name).bytes(9, raw);
    }

    /** A tensor value's declaration; a String dimension is symbolic, a Number fixed. */
    static OnnxProto valueInfo(String name, int elementType, Object... dims) {
        OnnxProto shape = new OnnxProto();
        for (Object d : dims) {
            OnnxProto dim = new OnnxProto();
            if (d instanceof Number n) {
                dim.varint(1, n.longValue());
            } else {
                dim.string(2, d.toString());
            }
            shape.message(1, dim);
        }
        OnnxProto tensorType = new OnnxProto().varint(1, elementType).message(2, shape);
        return new OnnxProto().string(1, name).message(2, new OnnxProto().message(1, tensorType));
    }
}
