using System.Text;

namespace Tmq.Nsq.Protocol;

/// <summary>An error frame: a code (<c>E_INVALID</c>...), a space, a description.</summary>
internal readonly record struct NsqErrorFrame(string Code, string Description)
{
    /// <summary>
    /// Only these leave the connection open: they answer a FIN, REQ or TOUCH for a message that had
    /// already timed out (nsqd gave it to someone else). Every other error ends the connection.
    /// </summary>
    public bool IsFatal => Code is not ("E_FIN_FAILED" or "E_REQ_FAILED" or "E_TOUCH_FAILED");

    public static NsqErrorFrame Parse(byte[] data)
    {
        var text = Encoding.UTF8.GetString(data, 0, Math.Min(data.Length, 1024));
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? new NsqErrorFrame(text, string.Empty) : new NsqErrorFrame(text[..space], text[(space + 1)..]);
    }

    public override string ToString() => Description.Length == 0 ? Code : $"{Code} {Description}";
}
