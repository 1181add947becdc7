namespace Tmqtool;

/// <summary>Process exit codes of every verb.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    internal const int Success = 0;

    /// <summary>Something we did not expect (an I/O error, a bug); the message says what.</summary>
    internal const int UnexpectedFailure = 1;

    /// <summary>The command line was wrong; nothing was changed and the message says how to fix it.</summary>
    internal const int InvalidInput = 2;
}
