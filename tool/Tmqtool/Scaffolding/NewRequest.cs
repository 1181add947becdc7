namespace Tmqtool.Scaffolding;

/// <summary>The values of <c>tmqtool new</c> as typed, before validation.</summary>
internal sealed record NewRequest(
    string? Type,
    string? MqType,
    string? Psm,
    string? Topic,
    string? Group,
    string? Channel,
    string? Name,
    string? Output,
    string? Feed,
    string? Repository = null);
