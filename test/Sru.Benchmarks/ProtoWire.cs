using System.Text;

namespace Sru.Benchmarks;

/// <summary>
/// One field of a protocol-buffer message as it is on the wire: its number, wire type (0 varint, 1 fixed 64-bit,
/// 2 length-delimited, 5 fixed 32-bit) and value (the varint or fixed number in <see cref="Number"/>, the bytes of a
/// length-delimited field in <see cref="Bytes"/>). Enough to read an ONNX model, change a few messages and write the
/// rest back unchanged.
/// </summary>
internal readonly record struct ProtoField(int Field, int WireType, ulong Number, ReadOnlyMemory<byte> Bytes)
{
    public string Text => Encoding.UTF8.GetString(Bytes.Span);

    /// <summary>The fields of <paramref name="message"/> in their order.</summary>
    public static List<ProtoField> Read(ReadOnlyMemory<byte> message)
    {
        var fields = new List<ProtoField>();
        ReadOnlySpan<byte> span = message.Span;
        int at = 0;
        while (at < span.Length)
        {
            ulong tag = ReadVarint(span, ref at);
            int field = (int)(tag >> 3), wireType = (int)(tag & 7);
            switch (wireType)
            {
                case 0:
                    fields.Add(new ProtoField(field, wireType, ReadVarint(span, ref at), default));
                    break;
                case 1:
                    fields.Add(new ProtoField(field, wireType, BitConverter.ToUInt64(span.Slice(at, 8)), default));
                    at += 8;
                    break;
                case 2:
                    int length = checked((int)ReadVarint(span, ref at));
                    fields.Add(new ProtoField(field, wireType, 0, message.Slice(at, length)));
                    at += length;
                    break;
                case 5:
                    fields.Add(new ProtoField(field, wireType, BitConverter.ToUInt32(span.Slice(at, 4)), default));
                    at += 4;
                    break;
                default:
                    throw new InvalidDataException($"Protocol-buffer wire type {wireType} (field {field}) is not read here.");
            }
        }
        return fields;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = span[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
    }
}

/// <summary>Writes a protocol-buffer message field by field (proto2 encoding: repeated numbers unpacked).</summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _stream = new();

    public ProtoWriter Varint(int field, ulong value)
    {
        WriteVarint(((ulong)field << 3) | 0);
        WriteVarint(value);
        return this;
    }

    public ProtoWriter Int64(int field, long value) => Varint(field, unchecked((ulong)value));

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> bytes)
    {
        WriteVarint(((ulong)field << 3) | 2);
        WriteVarint((ulong)bytes.Length);
        _stream.Write(bytes);
        return this;
    }

    public ProtoWriter String(int field, string text) => Bytes(field, Encoding.UTF8.GetBytes(text));

    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    /// <summary>A field read by <see cref="ProtoField.Read"/>, written back as it was.</summary>
    public ProtoWriter Copy(ProtoField field)
    {
        switch (field.WireType)
        {
            case 0:
                return Varint(field.Field, field.Number);
            case 2:
                return Bytes(field.Field, field.Bytes.Span);
            case 1:
            case 5:
                WriteVarint(((ulong)(uint)field.Field << 3) | (uint)field.WireType);
                _stream.Write(field.WireType == 1 ? BitConverter.GetBytes(field.Number) : BitConverter.GetBytes((uint)field.Number));
                return this;
            default:
                throw new InvalidDataException($"Protocol-buffer wire type {field.WireType} is not written here.");
        }
    }

    public byte[] ToArray() => _stream.ToArray();

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _stream.WriteByte((byte)((value & 0x7FUL) | 0x80UL));
            value >>= 7;
        }
        _stream.WriteByte((byte)value);
    }
}
