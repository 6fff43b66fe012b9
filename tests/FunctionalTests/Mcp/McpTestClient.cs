using Microsoft.AspNetCore.Mvc.Testing;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Wrapper.FunctionalTests.Mcp;

/// <summary>The official C# MCP client on a test host's /mcp, authenticated with a client key.</summary>
public static class McpTestClient
{
    public static async Task<McpClient> ConnectAsync(WebApplicationFactory<Program> factory, string key)
    {
        var http = factory.CreateClient();
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(http.BaseAddress!, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["api-key"] = key },
        }, http, loggerFactory: null, ownsHttpClient: true);
        return await McpClient.CreateAsync(transport);
    }

    /// <summary>The text blocks of a tool result, joined.</summary>
    public static string Text(CallToolResult result) =>
        string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));
}
