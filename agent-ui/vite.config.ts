// One config, three outputs (console SPA, widget IIFE, demo page).
// `vite build --config agent-ui/vite.config.ts` builds the console and then, from the
// closeBundle hook, the widget and the demo copy, so a single command produces all of dist/.
// UI_TARGET=widget builds only the widget (used by that nested build and handy alone).
import { defineConfig, build, type InlineConfig, type Plugin, type UserConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { copyFileSync, mkdirSync } from 'node:fs';

const uiRoot = dirname(fileURLToPath(import.meta.url));
const distRoot = resolve(uiRoot, '..', 'dist');
const hub = process.env.HUB_URL ?? 'http://127.0.0.1:8080';

export function widgetConfig(): InlineConfig {
  return {
    configFile: false,
    root: uiRoot,
    logLevel: 'warn',
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir: resolve(distRoot, 'widget'),
      emptyOutDir: true,
      target: 'es2019',
      // the widget's CSS is imported with ?inline and put into its shadow root, so one file ships
      cssCodeSplit: false,
      lib: {
        entry: resolve(uiRoot, 'src/widget/main.ts'),
        formats: ['iife'],
        name: 'CCHubWidget',
        fileName: () => 'widget.js',
      },
    },
  };
}

/** After the console is written, build the widget and copy the demo page. */
function alsoBuildWidgetAndDemo(): Plugin {
  return {
    name: 'cchub-widget-and-demo',
    apply: 'build',
    async closeBundle() {
      await build(widgetConfig());
      mkdirSync(resolve(distRoot, 'demo'), { recursive: true });
      copyFileSync(resolve(uiRoot, 'public-demo/index.html'), resolve(distRoot, 'demo/index.html'));
    },
  };
}

function hubProxy() {
  return { '/api': hub, '/socket.io': { target: hub, ws: true } };
}

const consoleConfig: UserConfig = {
  root: uiRoot,
  base: '/console/',
  plugins: [vue(), alsoBuildWidgetAndDemo()],
  define: { __VUE_I18N_LEGACY_API__: false, __VUE_I18N_FULL_INSTALL__: true, __INTLIFY_PROD_DEVTOOLS__: false },
  build: {
    outDir: resolve(distRoot, 'console'),
    emptyOutDir: true,
    target: 'es2020',
  },
  // dev server and `vite preview` both proxy the hub, so the console runs against a live hub
  server: { port: 5173, proxy: hubProxy() },
  preview: { port: 4173, proxy: { ...hubProxy(), '/widget.js': hub, '/demo': hub } },
};

export default defineConfig(process.env.UI_TARGET === 'widget' ? (widgetConfig() as UserConfig) : consoleConfig);
