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

await EmbeddedSimulator.StartIfNoEndpointAsync(builder);

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
