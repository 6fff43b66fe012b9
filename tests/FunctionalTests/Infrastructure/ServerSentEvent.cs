using System.Text;
using System.Text.Json;

namespace Wrapper.FunctionalTests.Infrastructure;

/// <summary>One server-sent event as this service writes them (<c>event: name</c>, one <c>data:</c> line of JSON, a blank
/// line): its name and its JSON data.</summary>
public sealed record ServerSentEvent(string Name, JsonElement Json)
{
    /// <summary>Every event of a whole stream.</summary>
    public static List<ServerSentEvent> Parse(string text) =>
        text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(Parse1).ToList();

    /// <summary>The next event, or null at the end of the stream.</summary>
    public static async Task<ServerSentEvent?> ReadAsync(StreamReader reader)
    {
        var lines = new StringBuilder();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                return Parse1(lines.ToString());
            }

            lines.Append(line).Append('\n');
        }

        return null;
    }

    private static ServerSentEvent Parse1(string block)
    {
        var lines = block.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var name = lines.Single(l => l.StartsWith("event: ", StringComparison.Ordinal))["event: ".Length..];
        var data = lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..];
        using var document = JsonDocument.Parse(data);
        return new ServerSentEvent(name, document.RootElement.Clone());
    }
}
