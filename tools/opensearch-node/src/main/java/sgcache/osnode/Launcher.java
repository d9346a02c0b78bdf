package sgcache.osnode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.unit.TimeValue;
import org.opensearch.core.common.transport.TransportAddress;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.TransportService;

import sgcache.nodelauncher.NodeLauncher;

/**
 * Starts one real OpenSearch 2.19 node inside this JVM, for sgcache's tests, benchmarks and
 * demo. The command line, the watchers and the READY line are NodeLauncher's (shared with the
 * Elasticsearch launcher); this class builds the node. See tools/opensearch-node/README.md
 * and scripts/search-node.
 */
public final class Launcher implements NodeLauncher.Engine {

    /** Module plugins a distribution ships under modules/; loaded here from the class path. */
    private static final String[] REQUIRED_PLUGINS = {
        "org.opensearch.transport.Netty4Plugin",
        "org.opensearch.analysis.common.CommonAnalysisPlugin",
        "org.opensearch.index.mapper.MapperExtrasPlugin",
        "org.opensearch.painless.PainlessPlugin",
        "org.opensearch.index.reindex.ReindexPlugin",
        "org.opensearch.join.ParentJoinPlugin",
        "org.opensearch.script.mustache.MustachePlugin",
        "org.opensearch.search.aggregations.matrix.MatrixAggregationPlugin",
    };

    /** Node's constructor that takes class-path plugins is protected. */
    static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment env, List<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    public static void main(String[] args) {
        NodeLauncher.main(args, new Launcher());
    }

    @Override public String launcherName() { return "opensearch-node launcher"; }
    @Override public String mainClass() { return Launcher.class.getName(); }
    @Override public String rootPackage() { return "org.opensearch"; }
    @Override public String managerRole() { return "cluster_manager"; }
    @Override public String initialManagersSetting() { return "cluster.initial_cluster_manager_nodes"; }
    @Override public String defaultReplicasHelp() { return "cluster.default_number_of_replicas"; }

    @SuppressWarnings("unchecked")
    private static List<Class<? extends Plugin>> pluginClasses() {
        List<Class<? extends Plugin>> out = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String name : REQUIRED_PLUGINS) {
            try {
                Class<?> c = Class.forName(name);
                if (!Plugin.class.isAssignableFrom(c)) throw new IllegalStateException(name + " is not a Plugin");
                out.add((Class<? extends Plugin>) c);
            } catch (ClassNotFoundException e) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("required OpenSearch module plugins missing from the class path: " + missing);
        }
        return out;
    }

    @Override
    @SuppressWarnings("unchecked")
    public NodeLauncher.Started start(Map<String, Object> settings, NodeLauncher.Options o, Path config,
                                      Consumer<NodeLauncher.Started> built) throws Exception {
        Settings.Builder sb = Settings.builder();
        settings.forEach((k, v) -> {
            if (v instanceof List) sb.putList(k, (List<String>) v); else sb.put(k, (String) v);
        });
        Environment env = InternalSettingsPreparer.prepareEnvironment(sb.build(), Collections.emptyMap(), config, () -> o.nodeName);
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(o.nodeName);
        LogConfigurator.configure(env);

        Node n = new EmbeddedNode(env, pluginClasses());
        NodeLauncher.Started started = new NodeLauncher.Started() {
            @Override public String httpAddress() { return http().getAddress(); }
            @Override public int httpPort() { return http().getPort(); }
            @Override public int transportPort() {
                return n.injector().getInstance(TransportService.class).boundAddress().publishAddress().getPort();
            }
            @Override public boolean close(long seconds) throws Exception {
                n.close();
                return n.awaitClose(seconds, TimeUnit.SECONDS);
            }
            private TransportAddress http() {
                return n.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
            }
        };
        built.accept(started);
        n.start();
        if (o.defaultReplicas != null) {
            // A node setting cluster.default_number_of_replicas is accepted but ignored: index
            // creation reads it from the cluster state's settings only. Set it there.
            n.client().admin().cluster().prepareUpdateSettings()
                .setPersistentSettings(Settings.builder().put("cluster.default_number_of_replicas", o.defaultReplicas))
                .get(TimeValue.timeValueSeconds(30));
        }
        return started;
    }

    private Launcher() {}
}
