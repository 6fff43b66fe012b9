using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;

namespace Wrapper.Api.Mcp;

/// <summary>The MCP server at <c>/mcp</c> (streamable HTTP).</summary>
public static class McpServerSetup
{
    public const string Route = "/mcp";

    public static IServiceCollection AddMcpTools(this IServiceCollection services)
    {
        services.AddSingleton<IConfigureOptions<McpServerOptions>, AgentToolsSetup>();
        services.AddMcpServer(options => options.ServerInfo = new() { Name = "wrapper", Version = typeof(McpServerSetup).Assembly.GetName().Version?.ToString() ?? "1.0.0" })
            .WithHttpTransport(options => options.Stateless = true)
            .WithTools<EndpointTools>()
            .WithRequestFilters(filters => filters.AddCallToolFilter(McpToolErrors.Filter));
        return services;
    }

    public static WebApplication MapMcpTools(this WebApplication app)
    {
        app.MapMcp(Route);
        return app;
    }
}
