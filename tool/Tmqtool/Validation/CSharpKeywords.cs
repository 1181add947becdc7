namespace Tmqtool.Validation;

/// <summary>
/// C# keywords. Contextual keywords are included: they are legal identifiers, but a namespace
/// named <c>await</c>, <c>var</c> or <c>global</c> invites confusing errors in generated code.
/// </summary>
internal static class CSharpKeywords
{
    private static readonly HashSet<string> All = new(StringComparer.Ordinal)
    {
        // Reserved.
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class",
        "const", "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event",
        "explicit", "extern", "false", "finally", "fixed", "float", "for", "foreach", "goto", "if",
        "implicit", "in", "int", "interface", "internal", "is", "lock", "long", "namespace", "new",
        "null", "object", "operator", "out", "override", "params", "private", "protected", "public",
        "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static",
        "string", "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong",
        "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",

        // Contextual.
        "add", "allows", "alias", "and", "ascending", "args", "async", "await", "by", "descending",
        "dynamic", "equals", "extension", "field", "file", "from", "get", "global", "group", "init",
        "into", "join", "let", "managed", "nameof", "nint", "not", "notnull", "nuint", "on", "or",
        "orderby", "partial", "record", "remove", "required", "scoped", "select", "set", "unmanaged",
        "value", "var", "when", "where", "with", "yield",
    };

    internal static bool Contains(string identifier) => All.Contains(identifier);
}
