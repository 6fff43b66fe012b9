using Azure.AI.OpenAI;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>The API versions Azure.AI.OpenAI knows, by their wire names (<c>2025-04-01-preview</c>), derived from
/// <see cref="AzureOpenAIClientOptions.ServiceVersion"/> so that an SDK upgrade brings its new versions along.</summary>
public static class AzureOpenAIServiceVersions
{
    private static readonly Dictionary<string, AzureOpenAIClientOptions.ServiceVersion> ByName =
        Enum.GetValues<AzureOpenAIClientOptions.ServiceVersion>()
            .ToDictionary(WireName, v => v, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every supported version, oldest first.</summary>
    public static IReadOnlyList<string> Supported { get; } =
        Enum.GetValues<AzureOpenAIClientOptions.ServiceVersion>().Order().Select(WireName).ToArray();

    /// <summary>Finds the SDK value of a wire name; case-insensitive.</summary>
    public static bool TryParse(string? name, out AzureOpenAIClientOptions.ServiceVersion version) =>
        ByName.TryGetValue(name?.Trim() ?? string.Empty, out version);

    /// <summary><c>V2025_04_01_Preview</c> → <c>2025-04-01-preview</c>.</summary>
    private static string WireName(AzureOpenAIClientOptions.ServiceVersion version) =>
        version.ToString().TrimStart('V').Replace('_', '-').ToLowerInvariant();
}
