using System.Buffers;
using System.Text.Json;

namespace Tmq.Nsq.DevServer;

/// <summary>Writes JSON documents field by field, so that they keep nsqd's field order.</summary>
internal static class JsonBytes
{
    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>nsqd's HTTP error body: <c>{"message":"TOPIC_NOT_FOUND"}</c>.</summary>
    public static byte[] Message(string message) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("message", message);
        w.WriteEndObject();
    });
}
