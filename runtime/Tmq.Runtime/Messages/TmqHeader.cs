namespace Tmq;

/// <summary>One message header: a name and a raw byte value. Names may repeat within a message.</summary>
/// <param name="Name">The header name.</param>
/// <param name="Value">The raw header value; may be empty.</param>
public readonly record struct TmqHeader(string Name, ReadOnlyMemory<byte> Value);
