using Serilog;
using Wrapper.Api;
using Wrapper.Api.Hosting;
using Wrapper.Api.Simulation;
using Wrapper.Application;
using Wrapper.Infrastructure;

DotEnvFile.LoadFromWorkingDirectory();

var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseDefaultListenAddress(builder.Configuration);
builder.WebHost.UseRequestLineLimits(builder.Configuration);
builder.AddSerilogLogging();

#if INCLUDE_SIMULATOR
await EmbeddedSimulator.StartIfNoEndpointAsync(builder);
#else
// Built with -p:IncludeSimulator=false: there is no simulator to stand in for a missing endpoint (deploy/README.md).
if (bool.TryParse(builder.Configuration["WRAPPER_ALLOW_SIMULATOR"]?.Trim(), out var allowSimulator) && allowSimulator)
{
    throw new InvalidOperationException("WRAPPER_ALLOW_SIMULATOR=true, but this build has no simulator (built with -p:IncludeSimulator=false).");
}
#endif

builder.Services.AddApplication();
builder.Services.AddInfrastructure(builder.Configuration);
builder.Services.AddApi(builder.Configuration);

var app = builder.Build();
app.UseApi();

try
{
    await app.RunAsync();
}
finally
{
    await Log.CloseAndFlushAsync();
}

/// <summary>The entry point, public for <c>WebApplicationFactory</c>.</summary>
public partial class Program;
