namespace Tmq.Kafka;

/// <summary>Kafka's rule for topic names, checked at start-up so that a bad name fails there rather than on the first subscribe or dead letter.</summary>
internal static class KafkaTopicName
{
    public const int MaxLength = 249;

    public const string Rule = "1 to 249 characters from a-z, A-Z, 0-9, '.', '_' and '-', and not '.' or '..'";

    public static bool IsValid(string name)
    {
        if (name.Length is 0 or > MaxLength || name is "." or "..")
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
